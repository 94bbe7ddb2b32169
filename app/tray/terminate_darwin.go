//go:build darwin && cgo

package tray

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>
#import <objc/runtime.h>

extern int nixpassShouldTerminate(void);

static NSApplicationTerminateReply nixpass_should_terminate(id self, SEL _cmd, NSApplication *sender) {
	return nixpassShouldTerminate() ? NSTerminateNow : NSTerminateLater;
}

// systray's application delegate has no applicationShouldTerminate:, and
// its applicationWillTerminate: runs onExit on the main thread: add the
// former to the delegate's class, so quitting answers NSTerminateLater
// and replies when the builds have stopped.
static void nixpass_hook_terminate(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		id d = [NSApp delegate];
		if (d != nil) {
			class_addMethod([d class], @selector(applicationShouldTerminate:), (IMP)nixpass_should_terminate, "Q@:@");
		}
	});
}

static void nixpass_reply_terminate(void) {
	dispatch_async(dispatch_get_main_queue(), ^{
		[NSApp replyToApplicationShouldTerminate:YES];
	});
}
*/
import "C"

// hookTerminate installs t as the app's applicationShouldTerminate:.
// Called from onReady, when systray's delegate is set.
func hookTerminate(t *terminator) {
	t.reply = func() { C.nixpass_reply_terminate() }
	setActiveTerminator(t)
	C.nixpass_hook_terminate()
}
