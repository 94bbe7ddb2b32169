package tray

// hookTerminate: on Linux the tray has no terminate path that blocks a
// main thread; onExit (quitCore) runs as it does.
func hookTerminate(*terminator) {}
