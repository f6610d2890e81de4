#include "adapters/s3/s3_blob_store.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>

#include "adapters/aws/http_client.h"
#include "adapters/aws/retry.h"
#include "adapters/s3/s3_wire.h"

namespace parley::s3 {

using aws::authorization;
using aws::canonicalQuery;
using aws::HttpClient;
using aws::HttpClientOptions;
using aws::HttpLimits;
using aws::HttpRequest;
using aws::HttpResponse;
using aws::sha256Hex;
using aws::SigningRequest;

namespace asio = boost::asio;
template <class T>
using Task = asio::awaitable<T>;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// One S3 operation: `key` empty addresses the bucket.
struct Call {
  std::string op;  // for error messages: "put", "get", ...
  std::string method;
  std::string key;
  Pairs query;
  Pairs headers;
  std::string body;
};

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool retryable(const Result<HttpResponse>& r) {
  // Connection failure or timeout; not a refused certificate (Code::internal).
  if (!r) return r.error().code == Code::unavailable;
  if (r->status >= 500 || r->status == 429) return true;
  const auto code = xmlFirst(r->body, "Code");
  return code && (*code == "SlowDown" || *code == "Throttling" || *code == "RequestTimeout");
}

// Turns a non-success answer into the contract's error.
Error s3Error(const Call& call, const Result<HttpResponse>& r) {
  if (!r) return makeError(r.error().code, "s3 " + call.op + ": " + r.error().message);
  const std::string code = xmlFirst(r->body, "Code").value_or("");
  const std::string message = xmlFirst(r->body, "Message").value_or("");
  std::string text = "s3 " + call.op + ": HTTP " + std::to_string(r->status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (r->status == 404 && code != "NoSuchBucket" && code != "NoSuchUpload") {
    return makeError(Code::not_found, "no such blob");
  }
  if (retryable(r)) return makeError(Code::unavailable, text);
  return makeError(Code::internal, text);
}

// A decimal from the server; 0 when it is not one.
std::uint64_t toU64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? v : 0;
}

bool ok(const Result<HttpResponse>& r) { return r && r->status >= 200 && r->status < 300; }

std::chrono::milliseconds backoff(const S3Config& c, int attempt) {
  return aws::backoffDelay(c.backoff_initial, c.backoff_max, attempt);
}

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(S3Config c, std::shared_ptr<S3Stats> stats)
      : c_(std::move(c)),
        stats_(stats ? std::move(stats) : std::make_shared<S3Stats>()),
        http_(HttpClientOptions{c_.tls, c_.ca_file, c_.max_idle_connections, c_.idle_timeout,
                                &stats_->connections_opened}) {
    limits_.timeout = c_.request_timeout;
    limits_.max_body = std::max<std::size_t>(kMaxBlobReadBytes, 1 << 20);
  }

  Task<Result<BlobInfo>> put(std::string key, BlobSource& source) override {
    if (!isValidBlobKey(key)) co_return makeError(Code::bad_request, "invalid blob key");
    std::string buffer;
    std::string upload_id;  // set once the object has outgrown one part
    std::vector<std::string> etags;
    std::uint64_t total = 0;
    for (;;) {
      Result<std::string> piece = co_await source.next();
      if (!piece) {
        co_await abortIfStarted(key, upload_id);
        co_return piece.error();
      }
      if (piece->empty()) break;
      total += piece->size();
      buffer += *piece;
      while (buffer.size() >= c_.part_bytes) {
        Status st = co_await uploadPart(key, upload_id, etags, buffer);
        if (!st) {
          co_await abortIfStarted(key, upload_id);
          co_return st.error();
        }
      }
    }
    if (upload_id.empty()) {
      Call call{"put", "PUT", key, {}, {}, std::move(buffer)};
      Result<HttpResponse> r = co_await send(call);
      if (!ok(r)) co_return s3Error(call, r);
    } else {
      if (!buffer.empty()) {
        Status st = co_await uploadPart(key, upload_id, etags, buffer);
        if (!st) {
          co_await abortIfStarted(key, upload_id);
          co_return st.error();
        }
      }
      Status done = co_await complete(key, upload_id, etags);
      if (!done) {
        co_await abortIfStarted(key, upload_id);
        co_return done.error();
      }
      stats_->multipart_uploads++;
    }
    co_return BlobInfo{key, total, nowMs()};
  }

  Task<Result<std::string>> read(std::string key, std::uint64_t offset,
                                 std::uint64_t length) override {
    if (!isValidBlobKey(key)) co_return makeError(Code::bad_request, "invalid blob key");
    length = std::min({length, kMaxBlobReadBytes, ~std::uint64_t{0} - offset});
    if (length == 0) {
      // Nothing to fetch, but a missing object is still not_found.
      Result<BlobInfo> info = co_await stat(key);
      if (!info) co_return info.error();
      co_return std::string();
    }
    const std::string range =
        "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1);
    Call call{"get", "GET", key, {}, {{"Range", range}}, {}};
    Result<HttpResponse> r = co_await send(call);
    if (r && r->status == 416) co_return std::string();  // offset at or past the end
    if (!ok(r)) co_return s3Error(call, r);
    if (r->status == 206) co_return std::move(r->body);
    // A server that ignored Range sent the whole object.
    if (offset >= r->body.size()) co_return std::string();
    co_return r->body.substr(offset, length);
  }

  Task<Result<BlobInfo>> stat(std::string key) override {
    if (!isValidBlobKey(key)) co_return makeError(Code::bad_request, "invalid blob key");
    Call call{"stat", "HEAD", key, {}, {}, {}};
    Result<HttpResponse> r = co_await send(call);
    if (!ok(r)) co_return s3Error(call, r);
    BlobInfo info{key, 0, 0};
    info.size = toU64(r->header("content-length"));
    info.modified_ms = parseHttpDateMs(r->header("last-modified")).value_or(0);
    co_return info;
  }

  Task<Status> remove(std::string key) override {
    if (!isValidBlobKey(key)) co_return makeError(Code::bad_request, "invalid blob key");
    Call call{"delete", "DELETE", key, {}, {}, {}};
    Result<HttpResponse> r = co_await send(call);
    if (r && r->status == 404) co_return Status{};
    if (!ok(r)) co_return s3Error(call, r);
    co_return Status{};
  }

  Task<Result<std::vector<BlobInfo>>> listOlderThan(std::string prefix, std::int64_t before_ms,
                                                    std::size_t limit,
                                                    std::string start_after) override {
    if (!isValidBlobPrefix(prefix)) co_return makeError(Code::bad_request, "invalid blob prefix");
    std::vector<BlobInfo> out;
    std::string token;
    while (out.size() < limit) {
      Call call{"list", "GET", "", {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", "1000"}},
                {},     {}};
      if (!token.empty()) call.query.emplace_back("continuation-token", token);
      if (!start_after.empty()) call.query.emplace_back("start-after", start_after);
      Result<HttpResponse> r = co_await send(call);
      if (!ok(r)) co_return s3Error(call, r);
      for (const std::string& entry : xmlElements(r->body, "Contents")) {
        BlobInfo info;
        info.key = xmlFirst(entry, "Key").value_or("");
        info.size = toU64(xmlFirst(entry, "Size").value_or("0"));
        info.modified_ms = parseIso8601Ms(xmlFirst(entry, "LastModified").value_or("")).value_or(0);
        // Objects put by something else under the prefix are not ours to report.
        if (!isValidBlobKey(info.key) || info.modified_ms >= before_ms) continue;
        out.push_back(std::move(info));
        if (out.size() == limit) break;
      }
      token = xmlFirst(r->body, "NextContinuationToken").value_or("");
      if (xmlFirst(r->body, "IsTruncated").value_or("false") != "true" || token.empty()) break;
    }
    co_return out;
  }

 private:
  // Signs and sends `call`, retrying what may succeed on a later attempt.
  Task<Result<HttpResponse>> send(const Call& call) {
    const Address addr = addressFor(c_, call.key);
    const std::string payload_hash = sha256Hex(call.body);
    auto ex = co_await asio::this_coro::executor;
    for (int attempt = 1;; ++attempt) {
      const std::string date = amzDate(nowMs());
      SigningRequest s{call.method, addr.path, call.query,
                       Pairs{{"Host", addr.host_header},
                             {"x-amz-date", date},
                             {"x-amz-content-sha256", payload_hash}},
                       payload_hash};
      for (const auto& h : call.headers) s.headers.push_back(h);
      HttpRequest req{call.method, addr.connect_host, c_.port,  addr.tls_name,
                      addr.path,   s.headers,         call.body};
      const std::string query = canonicalQuery(call.query);
      if (!query.empty()) req.target += "?" + query;
      req.headers.emplace_back("Authorization",
                               authorization(s, c_.credentials, c_.region, "s3", date));
      stats_->requests++;
      Result<HttpResponse> r = co_await http_.exchange(req, limits_);
      if (!retryable(r) || attempt >= c_.max_attempts) co_return r;
      stats_->retries++;
      asio::steady_timer timer(ex, backoff(c_, attempt));
      auto [ec] = co_await timer.async_wait(kAwait);
      if (ec) co_return r;  // cancelled: give the caller the last answer
    }
  }

  // Uploads the first part_bytes of `buffer` (all of it at the end), starting the multipart
  // upload first if needed, and drops the sent bytes from the buffer.
  Task<Status> uploadPart(const std::string& key, std::string& upload_id,
                          std::vector<std::string>& etags, std::string& buffer) {
    if (upload_id.empty()) {
      Call create{"create multipart upload", "POST", key, {{"uploads", ""}}, {}, {}};
      Result<HttpResponse> r = co_await send(create);
      if (!ok(r)) co_return s3Error(create, r);
      upload_id = xmlFirst(r->body, "UploadId").value_or("");
      if (upload_id.empty()) co_return makeError(Code::internal, "s3: no UploadId in answer");
    }
    const std::size_t n = std::min(buffer.size(), c_.part_bytes);
    Call part{"upload part",
              "PUT",
              key,
              {{"partNumber", std::to_string(etags.size() + 1)}, {"uploadId", upload_id}},
              {},
              buffer.substr(0, n)};
    buffer.erase(0, n);
    Result<HttpResponse> r = co_await send(part);
    if (!ok(r)) co_return s3Error(part, r);
    const std::string etag = r->header("etag");
    if (etag.empty()) co_return makeError(Code::internal, "s3: no ETag for an uploaded part");
    etags.push_back(etag);
    co_return Status{};
  }

  Task<Status> complete(const std::string& key, const std::string& upload_id,
                        const std::vector<std::string>& etags) {
    std::string xml = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
             xmlEscape(etags[i]) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    Call call{"complete multipart upload", "POST", key, {{"uploadId", upload_id}}, {}, xml};
    Result<HttpResponse> r = co_await send(call);
    if (!ok(r)) co_return s3Error(call, r);
    // S3 may answer 200 and report the failure in the body.
    if (r->body.find("<Error>") != std::string::npos) {
      co_return makeError(Code::unavailable, "s3 complete multipart upload: " +
                                                 xmlFirst(r->body, "Code").value_or("error"));
    }
    co_return Status{};
  }

  Task<void> abortIfStarted(const std::string& key, const std::string& upload_id) {
    if (upload_id.empty()) co_return;
    Call call{"abort multipart upload", "DELETE", key, {{"uploadId", upload_id}}, {}, {}};
    Result<HttpResponse> r = co_await send(call);
    // Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
    if (ok(r)) stats_->aborted_uploads++;
  }

  const S3Config c_;
  const std::shared_ptr<S3Stats> stats_;
  HttpLimits limits_;
  HttpClient http_;  // last: its destructor waits for exchanges in flight
};

}  // namespace

BlobStorePtr makeS3BlobStore(S3Config config, std::shared_ptr<S3Stats> stats) {
  return std::make_unique<S3BlobStore>(std::move(config), std::move(stats));
}

}  // namespace parley::s3
