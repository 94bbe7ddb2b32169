package tray

const revealTitle = "Show in Finder"
