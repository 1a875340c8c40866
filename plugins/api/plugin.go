package api

import "context"

// Plugin is what every plugin serves, whatever its kind.
type Plugin interface {
	// Info describes the plugin. It may be called before Configure, must be
	// cheap, must have no side effects, and is safe for concurrent use.
	Info(ctx context.Context) (PluginInfo, error)
	// Configure is called exactly once, before any call of the plugin's kind.
	// A plugin that cannot work with the given config returns an error with
	// ErrInvalidArgument or ErrFailedPrecondition and a hint for the user.
	Configure(ctx context.Context, cfg Config) error
}
