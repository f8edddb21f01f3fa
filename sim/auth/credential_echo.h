#pragma once
// CredentialEcho: the simulator's hostile-echo mode and its record of every credential it saw.
// - Echo (FaultConfig::echo_credentials, --echo-credentials, /_sim/config "echo_credentials"):
//   every error body (status >= 400) of the token endpoints and the Management API quotes the
//   request's Authorization header, the client secret and the client assertion it was sent (the
//   API endpoints, which receive neither, quote the last ones the token endpoint received), both
//   labelled ("Authorization: Bearer ...", "client_secret=...", JSON members) and bare, inside
//   the error message a client shows its users.
// - Record (--issued-tokens-out FILE): appends one line "<kind> <value>" for every app secret in
//   the configuration (at open), every client secret and assertion a token request carried, and
//   every access token issued. Tests read it to check that no such value reached any output.
// Called from the server's post-routing handler on any worker thread; thread-safe.
#include <httplib.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#include "core/result.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

class CredentialEcho {
 public:
  CredentialEcho() = default;
  ~CredentialEcho();
  CredentialEcho(const CredentialEcho&) = delete;
  CredentialEcho& operator=(const CredentialEcho&) = delete;

  // Starts recording into `path` (created 0600, appended) with every secret of `config`.
  Status open(const std::string& path, const SimConfig& config);

  // `route` is SimServer::routeOf(req). Records what the exchange carried, and rewrites an
  // error body when `echo` is on.
  void afterRoute(const std::string& route, bool echo, const httplib::Request& req,
                  httplib::Response& res);

 private:
  void record(const char* kind, const std::string& value);

  std::mutex mu_;
  std::FILE* file_ = nullptr;
  std::set<std::string> seen_;  // values already written (bounded by what tests issue)
  std::string last_secret_, last_assertion_;
};

// The error body `body` with the echo added to its message (error.message of an AF error,
// error_description of an AADSTS error, else appended) and as JSON members.
std::string echoInto(const std::string& body, const std::string& authorization,
                     const std::string& secret, const std::string& assertion);

}  // namespace o365fwd::sim
