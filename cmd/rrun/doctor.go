package main

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"

	"github.com/rrun-project/rrun/host/config"
	"github.com/rrun-project/rrun/host/doctor"
)

func newDoctorCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host can run rootless containers, and print the fix for what it lacks",
		Long: "Checks user namespaces, newuidmap/newgidmap, subordinate ids, storage, fuse, network helpers,\n" +
			"XDG_RUNTIME_DIR, cgroups and disk space. Exits 0 when rrun can run containers here, 1 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			dirs, err := config.ResolveDirs()
			if err != nil {
				return err
			}
			rep := doctor.Run(doctor.Default(dirs.Data))
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			} else {
				err = doctor.WriteText(os.Stdout, rep)
			}
			if err != nil {
				return err
			}
			if !rep.OK {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (schema 1: {schema, ok, checks: [{id, title, status, evidence, fix}]})")
	return cmd
}
