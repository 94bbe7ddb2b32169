package diagnose

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// nixBase32 is the alphabet of Nix's own base32 (no e, o, t, u).
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// hashDigest decodes a hash as Nix prints or accepts it: SRI
// ("sha256-<base64>"), "sha256:<base32|hex|base64>" or a bare base32/hex
// string. It returns the algorithm ("" when bare) and the digest.
func hashDigest(s string) (algo string, digest []byte, ok bool) {
	s = strings.TrimSpace(s)
	if a, rest, found := strings.Cut(s, "-"); found && isAlgo(a) {
		b, err := base64.StdEncoding.DecodeString(rest)
		return a, b, err == nil
	}
	if a, rest, found := strings.Cut(s, ":"); found && isAlgo(a) {
		algo, s = a, rest
	}
	if b, ok := fromBase32(s); ok {
		return algo, b, true
	}
	if b, err := hex.DecodeString(s); err == nil {
		return algo, b, true
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return algo, b, true
	}
	return algo, nil, false
}

func isAlgo(a string) bool {
	switch a {
	case "md5", "sha1", "sha256", "sha512":
		return true
	}
	return false
}

// base32Len is the length of a digest of n bytes in Nix's base32.
func base32Len(n int) int { return (n*8-1)/5 + 1 }

// toBase32 encodes a digest the way nix-hash --to-base32 does.
func toBase32(b []byte) string {
	n := base32Len(len(b))
	var sb strings.Builder
	for i := n - 1; i >= 0; i-- {
		bit := i * 5
		j, k := bit/8, uint(bit%8)
		c := b[j] >> k
		if j+1 < len(b) {
			c |= b[j+1] << (8 - k)
		}
		sb.WriteByte(nixBase32[c&0x1f])
	}
	return sb.String()
}

// fromBase32 decodes Nix's base32; only the digest lengths Nix uses.
func fromBase32(s string) ([]byte, bool) {
	var size int
	for _, n := range []int{16, 20, 32, 64} {
		if base32Len(n) == len(s) {
			size = n
		}
	}
	if size == 0 {
		return nil, false
	}
	b := make([]byte, size)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(nixBase32, s[len(s)-1-i])
		if d < 0 {
			return nil, false
		}
		bit := i * 5
		j, k := bit/8, uint(bit%8)
		b[j] |= byte(d << k)
		if j+1 < size {
			b[j+1] |= byte(d >> (8 - k))
		} else if d>>(8-k) != 0 {
			return nil, false
		}
	}
	return b, true
}

// hashForms is a hash in the two forms a Nix file may use.
type hashForms struct {
	sri, base32 string
}

func formsOf(s string) (hashForms, bool) {
	algo, d, ok := hashDigest(s)
	if !ok || len(d) == 0 {
		return hashForms{}, false
	}
	if algo == "" {
		algo = "sha256"
	}
	return hashForms{sri: algo + "-" + base64.StdEncoding.EncodeToString(d), base32: toBase32(d)}, true
}
