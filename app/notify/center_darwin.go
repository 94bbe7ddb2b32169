//go:build darwin && cgo

package notify

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Foundation -framework UserNotifications
#include <stdlib.h>
#import <Foundation/Foundation.h>
#import <UserNotifications/UserNotifications.h>

extern void nixpassNoteAuthorized(int granted);
extern void nixpassNotePosted(int ok);
extern void nixpassNoteClicked(char *log);

// The center's delegate: shows banners while nixpass runs (a menu-bar app
// is always "in front" to the center) and hands a click's log to Go.
@interface NixpassNoteDelegate : NSObject <UNUserNotificationCenterDelegate>
@end

@implementation NixpassNoteDelegate
- (void)userNotificationCenter:(UNUserNotificationCenter *)center
       willPresentNotification:(UNNotification *)notification
         withCompletionHandler:(void (^)(UNNotificationPresentationOptions))completionHandler {
	completionHandler(UNNotificationPresentationOptionBanner | UNNotificationPresentationOptionList);
}
- (void)userNotificationCenter:(UNUserNotificationCenter *)center
didReceiveNotificationResponse:(UNNotificationResponse *)response
         withCompletionHandler:(void (^)(void))completionHandler {
	NSString *log = response.notification.request.content.userInfo[@"log"];
	if ([log isKindOfClass:[NSString class]]) {
		nixpassNoteClicked((char *)[log UTF8String]);
	}
	completionHandler();
}
@end

static NixpassNoteDelegate *nixpassDelegate;

static void nixpass_note_authorize(void) {
	UNUserNotificationCenter *c = [UNUserNotificationCenter currentNotificationCenter];
	if (nixpassDelegate == nil) {
		nixpassDelegate = [[NixpassNoteDelegate alloc] init];
		c.delegate = nixpassDelegate;
	}
	[c requestAuthorizationWithOptions:(UNAuthorizationOptionAlert | UNAuthorizationOptionSound)
	                 completionHandler:^(BOOL granted, NSError *error) {
		nixpassNoteAuthorized(granted ? 1 : 0);
	}];
}

static void nixpass_note_post(const char *ident, const char *title, const char *body, const char *log) {
	@autoreleasepool {
		UNMutableNotificationContent *content = [[[UNMutableNotificationContent alloc] init] autorelease];
		content.title = [NSString stringWithUTF8String:title];
		content.body = [NSString stringWithUTF8String:body];
		content.threadIdentifier = [NSString stringWithUTF8String:ident];
		if (log[0] != 0) {
			content.userInfo = @{@"log": [NSString stringWithUTF8String:log]};
		}
		UNNotificationRequest *req = [UNNotificationRequest requestWithIdentifier:[NSString stringWithUTF8String:ident]
		                                                                  content:content
		                                                                  trigger:nil];
		[[UNUserNotificationCenter currentNotificationCenter] addNotificationRequest:req
		                                                       withCompletionHandler:^(NSError *error) {
			nixpassNotePosted(error == nil ? 1 : 0);
		}];
	}
}
*/
import "C"

import (
	"errors"
	"sync"
	"time"
	"unsafe"
)

// unCenter is UNUserNotificationCenter (see Center).
type unCenter struct{}

// newCenter is the notification center; nil where it cannot be used.
func newCenter() Center { return unCenter{} }

var (
	authMu   sync.Mutex
	authDone func(bool)
	postMu   sync.Mutex
	posted   = make(chan bool, 1)
	onClick  func(log string)
)

func (unCenter) Authorize(done func(bool)) {
	authMu.Lock()
	authDone = done
	authMu.Unlock()
	C.nixpass_note_authorize()
}

func (unCenter) Post(id, title, body, log string) error {
	postMu.Lock()
	defer postMu.Unlock()
	cs := []*C.char{C.CString(id), C.CString(title), C.CString(body), C.CString(log)}
	defer func() {
		for _, s := range cs {
			C.free(unsafe.Pointer(s))
		}
	}()
	C.nixpass_note_post(cs[0], cs[1], cs[2], cs[3])
	select {
	case ok := <-posted:
		if !ok {
			return errors.New("the notification center refused the notification")
		}
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the notification center did not answer")
	}
}
