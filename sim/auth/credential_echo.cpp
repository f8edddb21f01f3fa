#include "sim/auth/credential_echo.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sim/auth/token_service.h"

namespace o365fwd::sim {
namespace {

std::string formValue(const std::string& body, const std::string& name) {
  for (const auto& [k, v] : parseForm(body))
    if (k == name) return v;
  return {};
}

std::string bearerValue(const std::string& authorization) {
  if (authorization.size() > 7 && strncasecmp(authorization.c_str(), "Bearer ", 7) == 0)
    return authorization.substr(7);
  return {};
}

}  // namespace

CredentialEcho::~CredentialEcho() {
  if (file_) std::fclose(file_);
}

Status CredentialEcho::open(const std::string& path, const SimConfig& config) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error::permanent(ErrorKind::kIo, "cannot open " + path + ": " + std::strerror(errno));
  std::lock_guard lock(mu_);
  file_ = ::fdopen(fd, "a");
  if (!file_) {
    ::close(fd);
    return Error::permanent(ErrorKind::kIo, "cannot open " + path);
  }
  for (const TenantConfig& t : config.tenants)
    for (const AppConfig& app : t.apps)
      if (!app.client_secret.empty()) {
        seen_.insert(app.client_secret);
        std::fprintf(file_, "secret %s\n", app.client_secret.c_str());
      }
  std::fflush(file_);
  return okStatus();
}

void CredentialEcho::record(const char* kind, const std::string& value) {
  if (value.empty() || !file_ || !seen_.insert(value).second) return;
  std::fprintf(file_, "%s %s\n", kind, value.c_str());
  std::fflush(file_);
}

void CredentialEcho::afterRoute(const std::string& route, bool echo, const httplib::Request& req,
                                httplib::Response& res) {
  const bool token = route == "token_v1" || route == "token_v2";
  const bool api = !token && route != "admin" && route != "other";
  if (!token && !api) return;
  std::string authorization = req.get_header_value("Authorization");
  std::string secret, assertion;
  {
    std::lock_guard lock(mu_);
    if (token) {
      secret = formValue(req.body, "client_secret");
      assertion = formValue(req.body, "client_assertion");
      if (!secret.empty()) last_secret_ = secret;
      if (!assertion.empty()) last_assertion_ = assertion;
      record("secret", secret);
      record("assertion", assertion);
      if (res.status == 200) {
        rapidjson::Document doc;
        doc.Parse(res.body.c_str());
        if (!doc.HasParseError() && doc.IsObject()) {
          auto it = doc.FindMember("access_token");
          if (it != doc.MemberEnd() && it->value.IsString()) record("token", it->value.GetString());
        }
      }
    } else {
      secret = last_secret_;
      assertion = last_assertion_;
    }
    record("token", bearerValue(authorization));
  }
  if (echo && res.status >= 400 && !res.body.empty()) {
    res.body = echoInto(res.body, authorization, secret, assertion);
    // httplib computed Content-Length before this handler runs.
    if (res.has_header("Content-Length")) {
      res.headers.erase("Content-Length");
      res.set_header("Content-Length", std::to_string(res.body.size()));
    }
  }
}

std::string echoInto(const std::string& body, const std::string& authorization,
                     const std::string& secret, const std::string& assertion) {
  std::string bearer = bearerValue(authorization);
  std::string text = " [echo] Authorization: " + authorization + "; client_secret=" + secret +
                     "; client_assertion=" + assertion + "; bare: " + bearer + " " + secret + " " +
                     assertion;
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return body + text;
  auto& a = doc.GetAllocator();
  // Into the first line, which is what clients show (AADSTS descriptions go on with "\r\nTrace
  // ID").
  auto append = [&](rapidjson::Value& v) {
    std::string s(v.GetString(), v.GetStringLength());
    s.insert(std::min(s.find("\r\n"), s.size()), text);
    v.SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  auto err = doc.FindMember("error");
  if (err != doc.MemberEnd() && err->value.IsObject()) {
    auto msg = err->value.FindMember("message");
    if (msg != err->value.MemberEnd() && msg->value.IsString()) append(msg->value);
  }
  auto desc = doc.FindMember("error_description");
  if (desc != doc.MemberEnd() && desc->value.IsString()) append(desc->value);
  auto member = [&](const char* name, const std::string& value) {
    doc.AddMember(rapidjson::Value(name, a), rapidjson::Value(value.c_str(), a), a);
  };
  member("authorization", authorization);
  member("client_secret", secret);
  member("client_assertion", assertion);
  member("echo", bearer + " " + secret + " " + assertion);
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  doc.Accept(w);
  return std::string(out.GetString(), out.GetSize());
}

}  // namespace o365fwd::sim
