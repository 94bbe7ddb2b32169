package config

// caseInsensitiveFS: APFS and HFS+ are case-insensitive by default.
var caseInsensitiveFS = true
