#include "sim/auth/aad_error.h"

#include "core/time_format.h"
#include "sim/json_text.h"

namespace o365fwd::sim {

AadError aadError(int code, const std::string& client_id, const std::string& tenant,
                  const std::string& detail) {
  const std::string app = "'" + client_id + "'";
  switch (code) {
    case 7000215:
      return {code, 401, "invalid_client",
              "Invalid client secret provided. Ensure the secret being sent in the request is the "
              "client secret value, not the client secret ID, for a secret added to app " +
                  app + "."};
    case 7000222:
      return {
          code, 401, "invalid_client",
          "The provided client secret keys for app " + app +
              " are expired. Visit the Azure "
              "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
              "using certificate credentials for added security: https://aka.ms/certCreds."};
    case 7000218:
      return {code, 401, "invalid_client",
              "The request body must contain the following parameter: 'client_assertion' or "
              "'client_secret'."};
    case 900144:
      return {code, 400, "invalid_request",
              "The request body must contain the following parameter: '" + detail + "'."};
    case 70003:
      return {code, 400, "unsupported_grant_type",
              "The app requested an unsupported grant type '" + detail + "'."};
    case 700016:
      return {code, 400, "unauthorized_client",
              "Application with identifier " + app + " was not found in the directory '" + tenant +
                  "'. This can happen if the application has not been installed by the "
                  "administrator of the tenant or consented to by any user in the tenant. You may "
                  "have sent your authentication request to the wrong tenant."};
    case 90002:
      return {code, 400, "invalid_tenant",
              "Tenant '" + tenant +
                  "' not found. Check to make sure you have the correct tenant "
                  "ID and are signing into the correct cloud. Check with your subscription "
                  "administrator, this may happen if there are no active subscriptions for the "
                  "tenant."};
    case 900023:
      return {code, 400, "invalid_request",
              "Specified tenant identifier '" + tenant +
                  "' is neither a valid DNS name, nor a "
                  "valid external domain."};
    case 9001023:
      return {code, 400, "invalid_request",
              "The grant type isn't supported over the /common or /consumers endpoints. Please use "
              "the /organizations or tenant-specific endpoint."};
    case 70011:
      return {code, 400, "invalid_scope",
              "The provided request must include a 'scope' input parameter. The provided value for "
              "the input parameter 'scope' is not valid. The scope " +
                  detail + " is not valid."};
    case 1002012:
      return {code, 400, "invalid_scope",
              "The provided value for scope " + detail +
                  " is not valid. Client credential flows "
                  "must have a scope value with /.default suffixed to the resource identifier "
                  "(application ID URI)."};
    case 901002:
      return {code, 400, "invalid_request", "The 'resource' request parameter is not supported."};
    case 500011:
      return {
          code, 400, "invalid_resource",
          "The resource principal named " + detail + " was not found in the tenant named " +
              tenant +
              ". This can happen if the application has not been installed by the "
              "administrator of the tenant or consented to by any user in the tenant. You might "
              "have sent your authentication request to the wrong tenant."};
    case 700027:
      return {code, 401, "invalid_client",
              "Client assertion contains an invalid signature. [Reason - " + detail +
                  ", Client ID: " + client_id + "]"};
    case 50027:
      return {code, 400, "invalid_request", "JWT token is invalid or malformed. " + detail};
    case 50196:
      return {code, 400, "invalid_grant",
              "The server terminated an operation because it encountered a client request loop."};
    case 53003:
      return {code, 400, "access_denied",
              "Access has been blocked by Conditional Access policies."};
    case 7000112: return {code, 400, "unauthorized_client", "Application " + app + " is disabled."};
    case 90055:
    case 50000:
      return {code, 503, "temporarily_unavailable",
              "The service is temporarily unavailable. Please try again."};
    default:
      return {code, 400, "invalid_request",
              "Simulated error configured for this tenant (o365fwd-sim forced_token_error)."};
  }
}

std::string aadErrorBody(const AadError& e, WallTime now, const std::string& trace_id,
                         const std::string& correlation_id) {
  // "2025-01-14 12:00:01Z"
  std::string ts = formatApiTime(now);
  ts[10] = ' ';
  ts += 'Z';
  std::string description = "AADSTS" + std::to_string(e.code) + ": " + e.text +
                            "\r\nTrace ID: " + trace_id + "\r\nCorrelation ID: " + correlation_id +
                            "\r\nTimestamp: " + ts;
  std::string out = "{\"error\":";
  appendJsonString(out, e.error);
  out += ",\"error_description\":";
  appendJsonString(out, description);
  out += ",\"error_codes\":[";
  appendInt(out, e.code);
  out += "],\"timestamp\":";
  appendJsonString(out, ts);
  out += ",\"trace_id\":";
  appendJsonString(out, trace_id);
  out += ",\"correlation_id\":";
  appendJsonString(out, correlation_id);
  out += ",\"error_uri\":";
  appendJsonString(out, "https://login.microsoftonline.com/error?code=" + std::to_string(e.code));
  out += "}";
  return out;
}

}  // namespace o365fwd::sim
