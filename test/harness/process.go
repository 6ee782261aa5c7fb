package harness

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a child program that can be started, SIGKILLed and started again with the
// same command line. Its output is appended to LogPath across restarts.
type Process struct {
	// Name labels the process in errors.
	Name string
	// Path and Args are the program and its arguments.
	Path string
	Args []string
	// Env is added to this process's environment.
	Env []string
	// LogPath receives stdout and stderr.
	LogPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
}

// Start starts the program. It fails when it is already running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		return fmt.Errorf("%s is already running (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log of %s: %w", p.Name, err)
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	// Own process group (a terminal's Ctrl-C reaches only the parent), and SIGKILL when
	// the parent dies, so a crashed test leaves nothing running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("starting %s: %w", p.Name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	p.starts++
	return nil
}

// Kill sends SIGKILL (no chance to clean up, as in a node crash) and waits for the exit.
func (p *Process) Kill() error {
	return p.signalAndWait(syscall.SIGKILL, 10*time.Second)
}

// Stop sends SIGTERM, waits up to grace, then SIGKILLs.
func (p *Process) Stop(grace time.Duration) error {
	if err := p.signalAndWait(syscall.SIGTERM, grace); err == nil {
		return nil
	}
	return p.Kill()
}

func (p *Process) signalAndWait(sig syscall.Signal, wait time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.Name, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(wait):
		return fmt.Errorf("%s did not exit within %s of %s", p.Name, wait, sig)
	}
}

// PID is the pid of the running program, 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || isClosed(p.done) {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the program runs.
func (p *Process) Running() bool { return p.PID() != 0 }

// Starts counts the starts so far (1 + restarts).
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// LogTail returns the last n lines of the log, for failure messages.
func (p *Process) LogTail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Memory is a process's resident memory from /proc/<pid>/status, in bytes.
type Memory struct {
	// Peak is VmHWM, the high-water mark of the resident set.
	Peak int64
	// Current is VmRSS.
	Current int64
}

// ReadMemory reads /proc/<pid>/status.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Memory{}, err
	}
	defer func() { _ = f.Close() }()
	var m Memory
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if v, ok := statusFieldBytes(scanner.Text(), "VmHWM"); ok {
			m.Peak = v
		}
		if v, ok := statusFieldBytes(scanner.Text(), "VmRSS"); ok {
			m.Current = v
		}
	}
	return m, scanner.Err()
}

// statusFieldBytes parses a "/proc/<pid>/status" line such as "VmHWM:\t  123456 kB".
func statusFieldBytes(line, field string) (int64, bool) {
	value, ok := strings.CutPrefix(line, field+":")
	if !ok {
		return 0, false
	}
	parts := strings.Fields(value)
	if len(parts) != 2 || parts[1] != "kB" {
		return 0, false
	}
	kb, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, false
	}
	return kb * 1024, true
}
