// Command midstream is the command-line interface of midstream: the all-in-one launcher
// (`midstream run`), the QUIC demo gateway (`midstream demo`) and offline analysis tools
// (`midstream analyze ...`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. Commands receive their own arguments (without the command words)
// and report failure through a non-zero exit code after writing a message to stderr.
type command struct {
	name    string // words, e.g. "analyze compare"
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

// register adds a subcommand; each command file registers itself from init so that commands
// are added without touching this file.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("midstream: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch finds the longest registered command name that prefixes args and runs it.
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	for n := min(len(args), 3); n > 0; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c.run(ctx, args[n:], stdin, stdout, stderr)
		}
	}
	if len(args) > 0 && args[0] != "help" && args[0] != "-h" && args[0] != "--help" {
		fmt.Fprintf(stderr, "midstream: unknown command %q\n\n", strings.Join(args, " "))
		usage(stderr)
		return 2
	}
	usage(stdout)
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: midstream <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-22s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'midstream <command> -h' for a command's flags.")
}
