#pragma once
// HTML escaping for the views that write HTML (the status page, its credential rows): & < > " '
// become character references, so a value is safe as element text and in a quoted attribute.
// Pure; any thread.
#include <string>
#include <string_view>

namespace o365fwd {

std::string htmlEscape(std::string_view text);

}  // namespace o365fwd
