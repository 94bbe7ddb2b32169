package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"nixpass/builder/lazyre"
)

// Size is a number of bytes, written the way Multipass reads sizes: plain
// bytes ("1073741824"), or a number with a K, M or G suffix ("512M",
// "1.5G"). The suffixes are binary multiples of 1024, as in Multipass,
// and may also be written KiB/KB, MiB/MB or GiB/GB, in any case.
type Size int64

// sizeSyntax is Multipass's own: a fraction only with a unit, no space
// between number and unit.
var sizeSyntax = lazyre.New(`(?i)^(\d+)(\.\d+)?(?:([KMG])(?:I?B)?|B)?$`)

// ParseSize parses a size in Multipass's syntax. Like Multipass it rounds
// a fractional size down to whole bytes.
func ParseSize(s string) (Size, error) {
	m := sizeSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || (m[2] != "" && m[3] == "") {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with K, M or G (e.g. \"8G\")", s)
	}
	r, ok := new(big.Rat).SetString(m[1] + m[2])
	if !ok {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with K, M or G (e.g. \"8G\")", s)
	}
	unit := map[string]Size{"": 1, "K": KiB, "M": MiB, "G": GiB}[strings.ToUpper(m[3])]
	r.Mul(r, new(big.Rat).SetInt64(int64(unit)))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if !n.IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return Size(n.Int64()), nil
}

// String renders the size in the shortest form Multipass reads back to
// the same number of bytes: "8G", "512M", "1536M", or plain bytes.
func (s Size) String() string {
	for _, u := range []struct {
		size   Size
		suffix string
	}{{GiB, "G"}, {MiB, "M"}, {KiB, "K"}} {
		if s != 0 && s%u.size == 0 {
			return strconv.FormatInt(int64(s/u.size), 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// HumanString renders the size for people, in the largest binary unit it
// reaches with at most two decimals: "8 GiB", "1.5 GiB", "512 MiB",
// "100 B".
func (s Size) HumanString() string {
	for _, u := range []struct {
		size Size
		name string
	}{{GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}} {
		if s >= u.size || -s >= u.size {
			v := math.Round(float64(s)/float64(u.size)*100) / 100
			return strconv.FormatFloat(v, 'f', -1, 64) + " " + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + " B"
}

// Bytes returns the size as a number of bytes.
func (s Size) Bytes() int64 { return int64(s) }

// UnmarshalText parses a size in Multipass's syntax; it implements
// encoding.TextUnmarshaler.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// MarshalText renders the size as String does; it implements
// encoding.TextMarshaler.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
