package main

import (
	"os"
	"os/exec"
	"strings"

	"github.com/spf13/cobra"
)

// completionKinds says what each verb's arguments name, for the dynamic
// part of `rrun completion` (cobra's generated scripts call rrun back).
var completionKinds = map[string]string{
	"rrun start": "container", "rrun stop": "container", "rrun kill": "container", "rrun wait": "container",
	"rrun rm": "container", "rrun logs": "container", "rrun inspect": "container,image", "rrun exec": "container",
	"rrun port": "container", "rrun top": "container", "rrun stats": "container", "rrun rename": "container",
	"rrun restart": "container", "rrun container rm": "container", "rrun container inspect": "container",
	"rrun run": "image", "rrun create": "image", "rrun rmi": "image", "rrun tag": "image", "rrun push": "image",
	"rrun save": "image", "rrun image inspect": "image", "rrun history": "image",
	"rrun volume inspect": "volume", "rrun volume rm": "volume", "rrun plugins inspect": "plugin",
}

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "completion bash|zsh|fish", Short: "Print a shell completion script (with container, image, volume and plugin names)",
		Args: cobra.ExactArgs(1), ValidArgs: []string{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(os.Stdout, true)
			case "zsh":
				return root.GenZshCompletion(os.Stdout)
			case "fish":
				return root.GenFishCompletion(os.Stdout, true)
			}
			return cmd.Help()
		},
	}
}

// addCompletions gives every verb of completionKinds its dynamic names.
func addCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if kinds, ok := completionKinds[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeNames(strings.Split(kinds, ","), c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeNames completes the first argument only for verbs whose later
// arguments are a command (run, create, exec); every argument elsewhere.
func completeNames(kinds []string, path string) cobra.CompletionFunc {
	firstOnly := path == "rrun run" || path == "rrun create" || path == "rrun exec" || path == "rrun tag"
	return func(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if firstOnly && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveDefault
		}
		var out []string
		for _, k := range kinds {
			for _, n := range namesOf(k) {
				if strings.HasPrefix(n, prefix) {
					out = append(out, n)
				}
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// namesOf lists the names of one kind of object; errors list nothing.
func namesOf(kind string) []string {
	var out []string
	switch kind {
	case "container":
		if _, store, err := loadStore(); err == nil {
			recs, _ := store.List() // completion offers what it can read
			for _, r := range recs {
				out = append(out, r.Name)
			}
		}
	case "volume":
		if cfg, err := loadConfig(); err == nil {
			out, _ = volumesOf(cfg).List() // completion offers what it can read
		}
	case "plugin":
		all, _ := probeAll() // completion offers what it can read
		for _, p := range all {
			out = append(out, p.Kind+"/"+p.Name)
		}
	case "image":
		out = imageNames()
	}
	return out
}

// imageNames lists the image names of the store by running `rrun images`
// (the store is read inside a session, which this process is not in).
func imageNames() []string {
	args := append(globalArgs(), "images", "--format", "{{.Repository}}:{{.Tag}}")
	out, err := exec.Command("/proc/self/exe", args...).Output()
	if err != nil {
		return nil // completion offers what it can read
	}
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if !strings.Contains(n, "<none>") {
			names = append(names, strings.TrimPrefix(n, "docker.io/library/"))
		}
	}
	return names
}
