package multipass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// flexInt decodes a count or a size that Multipass prints as a number in
// some fields and releases and as a string of digits in others; anything
// else (null, "", a word) decodes as zero instead of failing the whole
// document, because one odd field must not hide the instance's state.
type flexInt int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	*n = 0
	s := string(bytes.Trim(b, `"`))
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		*n = flexInt(v)
	} else if f, err := strconv.ParseFloat(s, 64); err == nil {
		*n = flexInt(f)
	}
	return nil
}

// rawInfo mirrors `multipass info --format json`. Only the fields nixpass
// reads are listed; unknown ones are ignored by encoding/json.
type rawInfo struct {
	Info map[string]struct {
		CPUCount     flexInt `json:"cpu_count"`
		Disks        map[string]struct{ Total, Used flexInt }
		ImageRelease string   `json:"image_release"`
		IPv4         []string `json:"ipv4"`
		Load         []float64
		Memory       struct{ Total, Used flexInt }
		Mounts       map[string]Mount
		Release      string
		State        State
	} `json:"info"`
}

// decodeInfo reads the instance called name from the output of `info`.
func decodeInfo(b []byte, name string) (*Instance, error) {
	var raw rawInfo
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("multipass info %q: decode: %w", name, err)
	}
	ri, ok := raw.Info[name]
	if !ok {
		return nil, fmt.Errorf("multipass info %q: the output does not describe it", name)
	}
	inst := &Instance{
		Name:         name,
		State:        ri.State,
		CPUs:         int(ri.CPUCount),
		Memory:       Memory{Total: int64(ri.Memory.Total), Used: int64(ri.Memory.Used)},
		Disks:        make(map[string]Disk, len(ri.Disks)),
		IPv4:         ri.IPv4,
		Release:      ri.Release,
		ImageRelease: ri.ImageRelease,
		Mounts:       ri.Mounts,
		Load:         ri.Load,
	}
	for k, d := range ri.Disks {
		inst.Disks[k] = Disk{Total: int64(d.Total), Used: int64(d.Used)}
	}
	if inst.Mounts == nil {
		inst.Mounts = map[string]Mount{}
	}
	return inst, nil
}

// decodeList reads the output of `list --format json`.
func decodeList(b []byte) ([]ListItem, error) {
	var l struct {
		List []ListItem `json:"list"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("multipass list: decode: %w", err)
	}
	return l.List, nil
}

// decodeVersion reads the output of `version --format json`.
func decodeVersion(b []byte) (Version, error) {
	var v Version
	if err := json.Unmarshal(b, &v); err != nil {
		return Version{}, fmt.Errorf("multipass version: decode: %w", err)
	}
	return v, nil
}
