# Runs inside the Nix builder with busybox as the only tool.
bb=$bb
eval "$prepare"

work=$PWD/work
"$bb" mkdir -p "$work/rootfs/bin" "$work/image"
"$bb" cp "$bb" "$work/rootfs/bin/busybox"
"$bb" ln -s busybox "$work/rootfs/bin/sh"
"$bb" ln -s busybox "$work/rootfs/bin/echo"
(cd "$work/rootfs" && "$bb" tar -cf "$work/layer.tar" bin)
layer=$("$bb" sha256sum "$work/layer.tar" | "$bb" cut -d' ' -f1)
"$bb" mkdir -p "$work/image/$layer"
"$bb" cp "$work/layer.tar" "$work/image/$layer/layer.tar"

"$bb" printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/echo","%s"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$arch" "$message" "$layer" >"$work/config.json"
config=$("$bb" sha256sum "$work/config.json" | "$bb" cut -d' ' -f1)
"$bb" cp "$work/config.json" "$work/image/$config.json"
"$bb" printf '[{"Config":"%s.json","RepoTags":["%s:%s"],"Layers":["%s/layer.tar"]}]' \
	"$config" "$imageName" "$tag" "$layer" >"$work/image/manifest.json"

if [ "${format:-tar.gz}" = dir ]; then
	# The image's parts, for a streamed image to tar up when it runs.
	"$bb" cp -r "$work/image" "$out"
else
	(cd "$work/image" && "$bb" tar -cf - manifest.json "$config.json" "$layer") | "$bb" gzip -9 >"$out"
fi
