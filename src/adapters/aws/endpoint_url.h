// The part of an AWS-style service URL that S3 and KMS URLs share:
// SCHEME://ACCESS_KEY:SECRET_KEY@HOST[:PORT]/... — the credentials, the host and the port.
#pragma once

#include <boost/url/url_view.hpp>
#include <optional>
#include <string>

#include "adapters/aws/sigv4.h"

namespace parley::aws {

struct EndpointParts {
  Credentials credentials;
  std::string host;
  std::string port;  // the URL's port, or the default given
};

// Reads the credentials, host and port of `u`; on a bad URL, returns why (without any
// secret), for the caller to prefix with its own URL kind.
std::optional<std::string> readEndpoint(boost::urls::url_view u, std::string default_port,
                                        EndpointParts& out);

}  // namespace parley::aws
