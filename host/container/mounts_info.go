package container

// MountInfo is one of a container's mounts as docker's inspect shows it.
type MountInfo struct {
	Type        string // bind | volume | tmpfs
	Name        string // the volume's name (anonymous ones: derived from the container id)
	Source      string // the host path of a bind
	Destination string
	ReadOnly    bool
	Propagation string
}

// Mounts lists the -v, --mount and --tmpfs mounts of container id made of o,
// in the order given. Options that do not parse yield no mounts.
func Mounts(o RunOptions, id string) []MountInfo {
	ms, err := collectMounts(o)
	if err != nil {
		return nil
	}
	out := make([]MountInfo, 0, len(ms))
	for _, m := range ms {
		mi := MountInfo{Type: m.Kind, Destination: m.Dest, ReadOnly: m.ReadOnly}
		switch {
		case m.Kind == "bind":
			mi.Source = m.Source
			if len(m.Options) > 0 {
				mi.Propagation = m.Options[0]
			} else {
				mi.Propagation = "rprivate"
			}
		case m.Kind == "volume" && m.Source == "":
			mi.Name = anonymousName(id, m.Dest)
		case m.Kind == "volume":
			mi.Name = m.Source
		}
		out = append(out, mi)
	}
	return out
}
