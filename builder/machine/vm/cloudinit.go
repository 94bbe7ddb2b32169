package vm

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"text/template"

	"nixpass/builder/script"
)

//go:embed cloud-init.yaml
var cloudInitTemplate string

type cloudInitData struct {
	SwapBytes      int64
	MaxJobs, Cores int
	// ScriptB64 is the build script, base64, for first-boot setup steps.
	ScriptB64 string
}

// CloudInit renders the first-boot configuration for spec.
func CloudInit(spec Spec) ([]byte, error) {
	cpus := spec.CPUs
	if cpus < 1 {
		cpus = 1
	}
	// Memory, not CPU, is what kills builds in a small VM: one job per
	// 4 GiB, each allowed to use every core.
	jobs := int(spec.Memory / (4 << 30))
	if jobs < 1 {
		jobs = 1
	}
	if jobs > cpus {
		jobs = cpus
	}
	t, err := template.New("cloud-init").Parse(cloudInitTemplate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, cloudInitData{SwapBytes: spec.Swap, MaxJobs: jobs, Cores: cpus,
		ScriptB64: base64.StdEncoding.EncodeToString(script.Body())}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
