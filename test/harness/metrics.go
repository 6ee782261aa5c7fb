package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scrape reads a Prometheus text endpoint.
func Scrape(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("scraping %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("scraping %s: HTTP %d", url, resp.StatusCode)
	}
	return string(body), nil
}

// MetricSum adds up the samples of metric name (a counter or gauge, exact name) whose
// labels include every pair in match, in Prometheus text exposition format.
func MetricSum(text, name string, match map[string]string) float64 {
	return MetricSumWhere(text, name, func(labels map[string]string) bool { return labelsMatch(labels, match) })
}

// MetricSumWhere adds up the samples of metric name whose labels keep accepts.
func MetricSumWhere(text, name string, keep func(labels map[string]string) bool) float64 {
	total := 0.0
	for line := range strings.SplitSeq(text, "\n") {
		sampleName, labels, value, ok := parseSample(line)
		if ok && sampleName == name && keep(labels) {
			total += value
		}
	}
	return total
}

// parseSample parses `name{a="b",c="d"} 12.5` (labels optional, timestamp ignored).
func parseSample(line string) (string, map[string]string, float64, bool) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return "", nil, 0, false
	}
	name, rest := line, ""
	labels := map[string]string{}
	if open := strings.IndexByte(line, '{'); open >= 0 {
		end := strings.LastIndexByte(line, '}')
		if end < open {
			return "", nil, 0, false
		}
		name, rest = line[:open], line[end+1:]
		labels = parseLabels(line[open+1 : end])
	} else if sp := strings.IndexAny(line, " \t"); sp >= 0 {
		name, rest = line[:sp], line[sp:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	value, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, labels, value, true
}

// parseLabels parses `a="b",c="d"`; label values here never hold quotes or commas.
func parseLabels(s string) map[string]string {
	labels := map[string]string{}
	for pair := range strings.SplitSeq(s, ",") {
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		labels[strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return labels
}

func labelsMatch(labels, match map[string]string) bool {
	for k, v := range match {
		if labels[k] != v {
			return false
		}
	}
	return true
}
