package api

import "github.com/rrun-project/rrun/plugins/api/gen/storagev1"

func transferOptionsToProto(o TransferOptions) *storagev1.TransferOptions {
	return &storagev1.TransferOptions{Platform: o.Platform, InsecureSkipTlsVerify: o.InsecureSkipTLSVerify, AuthFile: o.AuthFile}
}

func transferOptionsFromProto(o *storagev1.TransferOptions) TransferOptions {
	return TransferOptions{Platform: o.GetPlatform(), InsecureSkipTLSVerify: o.GetInsecureSkipTlsVerify(), AuthFile: o.GetAuthFile()}
}

func layerProgressToProto(p LayerProgress) *storagev1.LayerProgress {
	return &storagev1.LayerProgress{Id: p.ID, Done: p.Done, Total: p.Total, Status: p.Status}
}

func layerProgressFromProto(p *storagev1.LayerProgress) LayerProgress {
	return LayerProgress{ID: p.GetId(), Done: p.GetDone(), Total: p.GetTotal(), Status: p.GetStatus()}
}

func usageToProto(u StorageUsage) *storagev1.UsageResponse {
	return &storagev1.UsageResponse{
		Images: u.Images, ActiveImages: u.ActiveImages, ImagesSize: u.ImagesSize, ImagesReclaimable: u.ImagesReclaimable,
		Containers: u.Containers, ContainersSize: u.ContainersSize, Layers: u.Layers, LayersSize: u.LayersSize,
	}
}

func usageFromProto(u *storagev1.UsageResponse) StorageUsage {
	return StorageUsage{
		Images: u.GetImages(), ActiveImages: u.GetActiveImages(), ImagesSize: u.GetImagesSize(),
		ImagesReclaimable: u.GetImagesReclaimable(), Containers: u.GetContainers(),
		ContainersSize: u.GetContainersSize(), Layers: u.GetLayers(), LayersSize: u.GetLayersSize(),
	}
}
