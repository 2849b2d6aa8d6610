package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/slipway-dev/slipway/node/agent"
)

func newStatus(o Options) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the slots, their versions, which booted, which boots next, and the last health result",
		Long: `status reads the ESP's boot entries and the node's records on STATE.

A slot is good (blessed), staged (written, not booted yet), trying (booted,
not blessed yet, tries left), bad (its tries are spent: it boots only when
nothing else can) or empty. For a bad slot, status says why, from the health
gate's results recorded on STATE.`,
		Example: `  slipway-node status
  slipway-node status --json
  slipway node status --disk node.raw --booted a`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := t.open(cmd, o)
			if err != nil {
				return err
			}
			defer n.Dev.Close()
			st, err := n.Status()
			if err != nil {
				return err
			}
			if t.json {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			printStatus(cmd.OutOrStdout(), st)
			return nil
		},
	}
	t.addFlags(cmd)
	return cmd
}

func printStatus(w io.Writer, st *agent.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLOT\tVERSION\tSTATE\tBOOTED\tDEFAULT\tTRIES\tENTRY")
	for _, s := range st.Slots {
		tries := "-"
		if s.TriesLeft != nil {
			tries = fmt.Sprintf("%d left, %d done", *s.TriesLeft, *s.TriesDone)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Slot, or(s.Version), s.State, mark(s.Booted), mark(s.Default), tries, or(s.Entry))
	}
	tw.Flush()
	for _, s := range st.Slots {
		if s.Reason != "" {
			fmt.Fprintf(w, "slot %s is bad: %s\n", s.Slot, s.Reason)
		}
	}
	if h := st.LastHealth; h != nil {
		verdict := "passed"
		if !h.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(w, "last health gate: %s on %s (%s) at %s\n", verdict, h.Version, h.Entry, h.Time.UTC().Format("2006-01-02T15:04:05Z"))
		for _, c := range h.Checks {
			if !c.Passed {
				fmt.Fprintf(w, "  %s %s: %s\n", c.Kind, c.Name, c.Detail)
			}
		}
	}
	if u := st.LastUpgrade; u != nil {
		fmt.Fprintf(w, "last upgrade: %s -> %s on slot %s at %s (%s)\n", or(u.From), u.To, u.Slot, u.Time.Format("2006-01-02T15:04:05Z"), u.Payload)
	}
}

func mark(b bool) string {
	if b {
		return "*"
	}
	return ""
}

func or(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
