package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"

	"github.com/rrun-project/rrun/host/monitor"
	"github.com/rrun-project/rrun/plugins/api"
)

// loginFlags are `rrun login`'s options, as docker's (plus podman's
// --tls-verify for a plain-http registry).
type loginFlags struct {
	username, password string
	passwordStdin      bool
	tlsVerify          bool
}

func newLoginCommand() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use: "login [OPTIONS] [SERVER]", Short: "Log in to a registry (credentials go to the auth.json pull and push read)", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			server := "docker.io"
			if len(args) == 1 {
				server = registryKey(args[0])
			}
			return login(server, f)
		},
	}
	cmd.Flags().StringVarP(&f.username, "username", "u", "", "Username")
	cmd.Flags().StringVarP(&f.password, "password", "p", "", "Password")
	cmd.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "Take the password from stdin")
	cmd.Flags().BoolVar(&f.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	return cmd
}

// registryKey is the auth.json key of a server: its host, without a scheme
// or path (docker's https://index.docker.io/v1/ is docker.io).
func registryKey(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	if s == "index.docker.io" || s == "registry-1.docker.io" {
		return "docker.io"
	}
	return s
}

func login(server string, f loginFlags) error {
	if f.password != "" && f.passwordStdin {
		return api.Errorf(api.ErrInvalidArgument, "give one of them", "--password and --password-stdin are mutually exclusive")
	}
	if f.password != "" {
		fmt.Fprintln(os.Stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.")
	}
	user, pass, err := loginCredentials(f)
	if err != nil {
		return err
	}
	sys := &types.SystemContext{}
	if !f.tlsVerify {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
	if err := docker.CheckAuth(context.Background(), sys, user, pass, server); err != nil {
		return api.Errorf(api.ErrPermissionDenied, "check the user name and password", "failed to log in to %s: %s", server, oneLineErr(err))
	}
	if _, err := config.SetCredentials(sys, server, user, pass); err != nil {
		return fmt.Errorf("failed to store the credentials of %s: %w", server, err)
	}
	fmt.Println("Login Succeeded")
	return nil
}

// loginCredentials reads the user name and password from the flags, stdin
// (--password-stdin) or, on a terminal, prompts for them.
func loginCredentials(f loginFlags) (string, string, error) {
	user, pass := f.username, f.password
	in := bufio.NewReader(os.Stdin)
	if user == "" {
		if f.passwordStdin || !monitor.IsTerminal(0) {
			return "", "", api.Errorf(api.ErrInvalidArgument, "give --username", "no user name given")
		}
		fmt.Print("Username: ")
		line, _ := in.ReadString('\n') // an empty answer is refused below
		user = strings.TrimSpace(line)
	}
	if f.passwordStdin {
		data, err := io.ReadAll(in)
		if err != nil {
			return "", "", fmt.Errorf("failed to read the password from stdin: %w", err)
		}
		pass = strings.TrimRight(string(data), "\r\n")
	} else if pass == "" && monitor.IsTerminal(0) {
		fmt.Print("Password: ")
		restore := monitor.MakeRaw(0)
		line, _ := in.ReadString('\r') // raw mode: Enter is \r; an empty answer is refused below
		restore()
		fmt.Println()
		pass = strings.TrimRight(line, "\r\n")
	}
	if user == "" || pass == "" {
		return "", "", api.Errorf(api.ErrInvalidArgument, "give --username and --password-stdin", "a user name and a password are needed")
	}
	return user, pass, nil
}

func newLogoutCommand() *cobra.Command {
	return &cobra.Command{
		Use: "logout [SERVER]", Short: "Log out from a registry (removes its credentials from auth.json)", Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			server := "docker.io"
			if len(args) == 1 {
				server = registryKey(args[0])
			}
			fmt.Printf("Removing login credentials for %s\n", server)
			if err := config.RemoveAuthentication(&types.SystemContext{}, server); err != nil {
				return api.Errorf(api.ErrNotFound, "", "not logged in to %s", server)
			}
			return nil
		},
	}
}

// oneLineErr is err's message on one line.
func oneLineErr(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
