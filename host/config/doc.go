// Package config resolves rrun's directories and user configuration
// (config.toml, environment, flags) into one Config. It must not import the
// plugin SDK's implementations, storage/ or any plugin package.
package config
