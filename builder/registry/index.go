package registry

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// index is the Docker manifest list of imgs, each with its platform from
// its config; nil for one image. nixpass writes Docker manifest lists,
// not OCI indexes, because dockerTools images are Docker schema-2
// manifests, and a list of them is what every Docker and registry version
// reads.
func index(imgs []*image) (v1.ImageIndex, error) {
	if len(imgs) < 2 {
		return nil, nil
	}
	seen := map[string]string{}
	idx := mutate.IndexMediaType(empty.Index, types.DockerManifestList)
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		pl := img.Platform()
		if pl.OS == "" || pl.Architecture == "" {
			return nil, fmt.Errorf("image %s names no os/architecture in its config: a manifest list needs both", img.src.file)
		}
		if other, dup := seen[pl.String()]; dup {
			return nil, fmt.Errorf("images %s and %s are both %s: a manifest list needs one image per platform", other, img.src.file, pl)
		}
		seen[pl.String()] = img.src.file
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: types.DockerManifestSchema2, Platform: pl}})
	}
	return mutate.AppendManifests(idx, adds...), nil
}
