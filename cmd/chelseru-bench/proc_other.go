//go:build !linux

package main

import (
	"errors"
	"os/exec"
	"time"
)

// setChildAttrs does nothing where the kernel has no parent-death signal.
func setChildAttrs(*exec.Cmd) {}

var errNoCPU = errors.New("CPU time is measured on Linux only")

// selfCPU is not available here.
func selfCPU() (time.Duration, error) { return 0, errNoCPU }

// procCPU is not available here.
func procCPU(int) (time.Duration, error) { return 0, errNoCPU }

// procMemory is not available here.
func procMemory(int) (rss, anon int64, err error) { return 0, 0, errNoMemory }

// procOpenFiles is not available here.
func procOpenFiles(int) (int64, error) { return 0, errNoMemory }

// raiseOpenFiles leaves the limit alone and reports want.
func raiseOpenFiles(want uint64) (uint64, error) { return want, nil }

var errNoMemory = errors.New("process memory and limits are read on Linux only")
