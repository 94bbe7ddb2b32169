package diagnose

import "testing"

// The pair was printed by Nix 2.8 itself:
// nix-hash --type sha256 --to-base32 sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=
func TestHashForms(t *testing.T) {
	const sri, b32 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=", "00xyyr3fi8l6hb839bv3f7yb86yjv7xi1cgh1xnhipym4asvb4aq"
	for _, in := range []string{sri, b32, "sha256:" + b32} {
		f, ok := formsOf(in)
		if !ok || f.sri != sri || f.base32 != b32 {
			t.Errorf("formsOf(%q) = %+v %v, want %s / %s", in, f, ok, sri, b32)
		}
	}
	if _, ok := formsOf("not a hash"); ok {
		t.Error("formsOf accepted garbage")
	}
}
