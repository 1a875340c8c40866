// Package e2e drives the built rrun binary end to end, as the unprivileged
// user running the tests, with images built locally by plugins/testsuite/fixtures. The
// README's test command runs it as a user with a subuid range and, for the
// NoSubuid tests, as a user without one.
package e2e
