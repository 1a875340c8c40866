//go:build cgo

package doctor

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// libseccompVersion is the version of the libseccomp rrun runs with.
func libseccompVersion() (string, error) {
	major, minor, micro := libseccomp.GetLibraryVersion()
	if _, err := libseccomp.GetNativeArch(); err != nil {
		return "", fmt.Errorf("libseccomp %d.%d.%d: %w", major, minor, micro, err)
	}
	return fmt.Sprintf("%d.%d.%d", major, minor, micro), nil
}
