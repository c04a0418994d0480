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
