#include "tests/support/sim_process.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <atomic>
#include <regex>

#include "core/random.h"
#include "core/secrets/crypto.h"
#include "tests/support/secret_scan.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

std::string str(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

}  // namespace

std::unique_ptr<SimProcess> SimProcess::start(std::vector<std::string> extra_args,
                                              const TempDir& dir) {
  static std::atomic<int> counter{0};
  const std::string tag = "sim" + std::to_string(counter++);
  std::unique_ptr<SimProcess> sim(new SimProcess());
  sim->ledger_path_ = dir.file(tag + "-ledger.ndjson");
  sim->credentials_path_ = dir.file(tag + "-credentials.json");
  sim->request_log_ = dir.file(tag + "-requests.ndjson");
  sim->issued_tokens_path_ = dir.file(tag + "-issued-tokens.txt");
  std::vector<std::string> argv = {
      simulatorBinary().string(), "--listen",          "127.0.0.1:0",          "--ledger",
      sim->ledger_path_,          "--credentials-out", sim->credentials_path_, "--request-log",
      sim->request_log_};
  argv.insert(argv.end(), {"--issued-tokens-out", sim->issued_tokens_path_});
  SecretScan::instance().addKnownValuesFile(sim->issued_tokens_path_);
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ProcessOptions options;
  options.stdout_file = dir.file(tag + ".stdout");
  options.stderr_file = dir.file(tag + ".stderr");
  Status started = sim->child_.start(argv, options);
  if (!started.ok()) {
    ADD_FAILURE() << "cannot start the simulator: " << started.error().describe();
    return nullptr;
  }
  if (!sim->child_.waitForStdout("listening on http://", std::chrono::seconds(30))) {
    ADD_FAILURE() << "o365fwd-sim did not report listening within 30 s; stderr:\n"
                  << sim->child_.stderrText();
    return nullptr;
  }
  std::smatch m;
  std::string out = sim->child_.stdoutText();
  if (!std::regex_search(out, m, std::regex("listening on (http://127\\.0\\.0\\.1:([0-9]+))"))) {
    ADD_FAILURE() << "unexpected simulator stdout: " << out;
    return nullptr;
  }
  sim->url_ = m[1].str();
  sim->port_ = std::stoi(m[2].str());
  rapidjson::Document doc;
  std::string creds = readFile(sim->credentials_path_);
  doc.Parse(creds.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("tenants") ||
      !doc["tenants"].IsArray()) {
    ADD_FAILURE() << "unreadable credentials file " << sim->credentials_path_;
    return nullptr;
  }
  for (const auto& t : doc["tenants"].GetArray()) {
    sim->tenants_.push_back(SimTenant{str(t, "name"), str(t, "tenant_id"), str(t, "domain"),
                                      str(t, "client_id"), str(t, "client_secret"),
                                      str(t, "certificate_file"), str(t, "private_key_file")});
  }
  return sim;
}

SimProcess::~SimProcess() {
  if (child_.running()) stop();
}

std::optional<int> SimProcess::stop() {
  child_.signal(SIGTERM);
  auto code = child_.wait(std::chrono::seconds(10));
  if (!code) child_.kill();
  return code;
}

std::string SimProcess::apiRoot(size_t i) const {
  return url_ + "/api/v1.0/" + tenants_.at(i).tenant_id + "/activity/feed";
}

std::vector<LedgerEntry> SimProcess::ledger() const {
  auto entries = readLedgerFile(ledger_path_);
  if (!entries.ok()) {
    ADD_FAILURE() << "cannot read the simulator ledger: " << entries.error().describe();
    return {};
  }
  return std::move(entries.value());
}

std::string SimProcess::stats() const {
  return admin("GET", "/_sim/stats").body;
}

HttpResult SimProcess::admin(const std::string& method, const std::string& path,
                             const std::string& body) const {
  std::vector<std::string> headers;
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  return httpRequest(method, url_ + path, body, headers);
}

std::string SimProcess::token(size_t i) const {
  const SimTenant& t = tenants_.at(i);
  HttpResult r = httpRequest("POST", url_ + "/" + t.tenant_id + "/oauth2/v2.0/token",
                             formEncode({{"grant_type", "client_credentials"},
                                         {"client_id", t.client_id},
                                         {"client_secret", t.client_secret},
                                         {"scope", "https://manage.office.com/.default"}}),
                             {"Content-Type: application/x-www-form-urlencoded"});
  if (r.status != 200) return {};
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  return str(doc, "access_token");
}

HttpResult SimProcess::get(const std::string& url, const std::string& token,
                           std::vector<std::string> extra_headers) const {
  extra_headers.push_back("Authorization: Bearer " + token);
  return httpRequest("GET", url, "", extra_headers);
}

HttpResult SimProcess::post(const std::string& url, const std::string& token) const {
  return httpRequest("POST", url, "", {"Authorization: Bearer " + token});
}

std::string makeClientAssertion(const AssertionSpec& spec) {
  auto cert = crypto::Certificate::fromPem(spec.certificate_pem);
  auto key = crypto::PrivateKey::fromPem(Secret(spec.private_key_pem));
  if (!cert.ok() || !key.ok()) {
    ADD_FAILURE() << "makeClientAssertion: unreadable certificate or key";
    return {};
  }
  static Random random(Random::seedFromDevice());
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const long long nbf = spec.nbf != 0 ? spec.nbf : now;
  const long long exp = spec.exp != 0 ? spec.exp : nbf + 600;
  std::string header =
      spec.ps256 ? "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"x5t#S256\":\"" + cert->x5tS256() + "\"}"
                 : "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"" + cert->x5t() + "\"}";
  std::string payload =
      "{\"aud\":\"" + spec.audience + "\",\"iss\":\"" +
      (spec.iss_override.empty() ? spec.client_id : spec.iss_override) + "\",\"sub\":\"" +
      (spec.sub_override.empty() ? spec.client_id : spec.sub_override) + "\",\"jti\":\"" +
      (spec.jti.empty() ? random.guid() : spec.jti) + "\",\"nbf\":" + std::to_string(nbf) +
      ",\"exp\":" + std::to_string(exp) + ",\"iat\":" + std::to_string(nbf) + "}";
  std::string signing_input =
      crypto::base64UrlEncode(header) + "." + crypto::base64UrlEncode(payload);
  auto sig = key->sign(spec.ps256 ? crypto::SignatureAlg::kPs256 : crypto::SignatureAlg::kRs256,
                       signing_input);
  if (!sig.ok()) {
    ADD_FAILURE() << "makeClientAssertion: signing failed: " << sig.error().message;
    return {};
  }
  return signing_input + "." + crypto::base64UrlEncode(*sig);
}

}  // namespace o365fwd::testing
