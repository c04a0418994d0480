package main

import (
	"fmt"
	"slices"
)

// runRow is one scenario of one run, for the run-to-run table.
type runRow struct {
	Run         int      `json:"run"`
	Name        string   `json:"name"`
	RPS         float64  `json:"rps"`
	Ratio       *float64 `json:"ratio_to_bare,omitempty"`
	PerCPURatio *float64 `json:"per_cpu_ratio_to_bare,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// medianReport combines the reports of several runs (each finished: ratios
// to its own bare run). For every scenario it keeps the row of the run with
// the median ratio to bare (the median rate for bare itself, or for a run
// without ratios), so every figure of a row comes from one real run; the
// targets are judged on that row. Runs lists every run's rate and ratios.
// With one report it returns that report.
func medianReport(reps []*report) *report {
	if len(reps) == 1 {
		return reps[0]
	}
	out := *reps[0]
	out.Results = nil
	out.Notes = append(slices.Clone(reps[0].Notes), fmt.Sprintf(
		"%d runs, each with its own bare run, server and data folder: each row is the run with the median ratio to bare (the median rate for bare), and the targets are judged on it; every run is listed below.", len(reps)))
	for _, first := range reps[0].Results {
		var rows []scenarioResult
		for i, r := range reps {
			for _, s := range r.Results {
				if s.Name != first.Name {
					continue
				}
				rows = append(rows, s)
				out.Runs = append(out.Runs, runRow{Run: i + 1, Name: s.Name, RPS: s.RPS, Ratio: s.Ratio, PerCPURatio: s.PerCPURatio, Error: s.Error})
			}
		}
		key := func(s scenarioResult) float64 {
			switch {
			case s.Error != "":
				return -1 // a failed run sorts first: the median moves towards failure
			case s.Ratio != nil && s.Name != scenarioBare:
				return *s.Ratio
			}
			return s.RPS
		}
		slices.SortStableFunc(rows, func(a, b scenarioResult) int {
			switch ka, kb := key(a), key(b); {
			case ka < kb:
				return -1
			case ka > kb:
				return 1
			}
			return 0
		})
		out.Results = append(out.Results, rows[(len(rows)-1)/2])
	}
	return &out
}
