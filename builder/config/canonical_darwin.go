package config

// caseInsensitiveFS: APFS and HFS+ are case-insensitive by default.
const caseInsensitiveFS = true
