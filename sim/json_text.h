#pragma once
// Small helpers to write JSON text directly into a std::string (the hot path of blob
// generation and of every API response). Pure functions; thread-safe.
#include <cstdint>
#include <string>
#include <string_view>

namespace o365fwd::sim {

// Appends `s` as a JSON string literal (with quotes). Escapes '"', '\\' and control
// characters; non-ASCII UTF-8 bytes pass through unchanged. With escape_slash, '/' is written
// as "\/" (as Azure AD records do).
void appendJsonString(std::string& out, std::string_view s, bool escape_slash = false);
std::string jsonString(std::string_view s, bool escape_slash = false);
void appendInt(std::string& out, std::int64_t v);
void appendUint(std::string& out, std::uint64_t v);

// The Management API error body {"error":{"code":"...","message":"..."}}.
std::string afErrorBody(std::string_view code, std::string_view message);

}  // namespace o365fwd::sim
