#pragma once
// Minimal systemd readiness notification (sd_notify protocol) without linking libsystemd: one
// datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract
// namespace). Used by `o365fwd run` under a Type=notify unit: READY=1 once configuration, state
// lock, sinks and connector are initialised; STOPPING=1 when SIGTERM starts the drain.
//
// Thread-safe (no shared state; each call opens and closes its own socket). Never throws.
#include <string_view>

namespace o365fwd {

// Sends `state` (e.g. "READY=1") to the socket in $NOTIFY_SOCKET. Returns true when sent, false
// when $NOTIFY_SOCKET is unset (not running under systemd: nothing to do) or sending failed; a
// failure is not fatal for the daemon, so callers may ignore the result.
bool sdNotify(std::string_view state);

// Same, with an explicit socket address instead of $NOTIFY_SOCKET (for tests).
bool sdNotifyTo(std::string_view socket_address, std::string_view state);

}  // namespace o365fwd
