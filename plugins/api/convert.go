package api

import (
	"time"

	"github.com/rrun-project/rrun/plugins/api/gen/isolationv1"
	"github.com/rrun-project/rrun/plugins/api/gen/pluginv1"
	"github.com/rrun-project/rrun/plugins/api/gen/storagev1"
)

func mountsToProto(ms []Mount) []*pluginv1.Mount {
	out := make([]*pluginv1.Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, &pluginv1.Mount{Type: m.Type, Source: m.Source, Target: m.Target, Options: m.Options})
	}
	return out
}

func mountsFromProto(ms []*pluginv1.Mount) []Mount {
	out := make([]Mount, 0, len(ms))
	for _, m := range ms {
		out = append(out, Mount{Type: m.GetType(), Source: m.GetSource(), Target: m.GetTarget(), Options: m.GetOptions()})
	}
	return out
}

func idMapsToProto(ms []IDMap) []*pluginv1.IDMap {
	out := make([]*pluginv1.IDMap, 0, len(ms))
	for _, m := range ms {
		out = append(out, &pluginv1.IDMap{ContainerId: m.ContainerID, HostId: m.HostID, Size: m.Size})
	}
	return out
}

func idMapsFromProto(ms []*pluginv1.IDMap) []IDMap {
	out := make([]IDMap, 0, len(ms))
	for _, m := range ms {
		out = append(out, IDMap{ContainerID: m.GetContainerId(), HostID: m.GetHostId(), Size: m.GetSize()})
	}
	return out
}

func imageToProto(im Image) *storagev1.Image {
	var created int64
	if !im.Created.IsZero() {
		created = im.Created.UnixNano()
	}
	return &storagev1.Image{Id: im.ID, Names: im.Names, Digest: im.Digest, Size: im.Size, CreatedUnixNano: created}
}

func imageFromProto(im *storagev1.Image) Image {
	out := Image{ID: im.GetId(), Names: im.GetNames(), Digest: im.GetDigest(), Size: im.GetSize()}
	if ns := im.GetCreatedUnixNano(); ns != 0 {
		out.Created = time.Unix(0, ns).UTC()
	}
	return out
}

func imageDetailToProto(d ImageDetail) *storagev1.InspectImageResponse {
	return &storagev1.InspectImageResponse{Image: imageToProto(d.Image), ConfigJson: d.ConfigJSON, TopLayer: d.TopLayer}
}

func imageDetailFromProto(r *storagev1.InspectImageResponse) ImageDetail {
	return ImageDetail{Image: imageFromProto(r.GetImage()), ConfigJSON: r.GetConfigJson(), TopLayer: r.GetTopLayer()}
}

func imagesToProto(ims []Image) []*storagev1.Image {
	out := make([]*storagev1.Image, 0, len(ims))
	for _, im := range ims {
		out = append(out, imageToProto(im))
	}
	return out
}

func imagesFromProto(ims []*storagev1.Image) []Image {
	out := make([]Image, 0, len(ims))
	for _, im := range ims {
		out = append(out, imageFromProto(im))
	}
	return out
}

func stdioToProto(s Stdio) *isolationv1.Stdio {
	p := &isolationv1.Stdio{Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr, Terminal: s.Terminal, ConsoleSocket: s.ConsoleSocket}
	for _, f := range s.ExtraFiles {
		p.ExtraFiles = append(p.ExtraFiles, &isolationv1.ExtraFile{Path: f.Path, Flags: int32(f.Flags)})
	}
	return p
}

func stdioFromProto(s *isolationv1.Stdio) Stdio {
	out := Stdio{Stdin: s.GetStdin(), Stdout: s.GetStdout(), Stderr: s.GetStderr(), Terminal: s.GetTerminal(), ConsoleSocket: s.GetConsoleSocket()}
	for _, f := range s.GetExtraFiles() {
		out.ExtraFiles = append(out.ExtraFiles, ExtraFile{Path: f.GetPath(), Flags: int(f.GetFlags())})
	}
	return out
}

func timeFromNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func nanoFromTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
