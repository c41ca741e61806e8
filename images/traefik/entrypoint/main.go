// Command entrypoint starts Traefik the way the official image's entrypoint
// does, without needing a shell in the image:
//
//   - first argument is a flag (--configFile=...): run traefik with the arguments;
//   - first argument is a Traefik subcommand (version, healthcheck): likewise;
//   - otherwise the arguments are a command line of their own (traefik ...).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

const traefik = "/usr/local/bin/traefik"

var subcommands = map[string]bool{"version": true, "healthcheck": true}

func main() {
	args := os.Args[1:]
	if len(args) == 0 || strings.HasPrefix(args[0], "-") || subcommands[args[0]] {
		args = append([]string{traefik}, args...)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "entrypoint: cannot run %q: %v\n", args[0], err)
		os.Exit(127)
	}
	err = syscall.Exec(path, args, os.Environ())
	fmt.Fprintf(os.Stderr, "entrypoint: cannot run %q: %v\n", path, err)
	os.Exit(126)
}
