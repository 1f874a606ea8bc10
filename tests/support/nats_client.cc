// NatsClient (tests/support/nats_server.h): nats.c calls for test set-up.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <thread>

#include "support/nats_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string Err(natsStatus s) {
  natsStatus ignored;
  const char* text = nats_GetLastError(&ignored);
  return std::string(natsStatus_GetText(s)) + ": " + (text ? text : "");
}

}  // namespace

std::unique_ptr<NatsClient> NatsClient::Connect(const std::string& urls, const std::string& user,
                                                const std::string& password,
                                                const std::string& creds_file) {
  std::unique_ptr<NatsClient> client(new NatsClient());
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  std::vector<std::string> list;
  for (size_t start = 0;;) {
    size_t comma = urls.find(',', start);
    list.push_back(urls.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::vector<const char*> ptrs;
  for (const auto& u : list) ptrs.push_back(u.c_str());
  natsOptions_SetServers(opts, ptrs.data(), static_cast<int>(ptrs.size()));
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 200);
  if (!user.empty()) natsOptions_SetUserInfo(opts, user.c_str(), password.c_str());
  if (!creds_file.empty()) natsOptions_SetUserCredentialsFromFiles(opts, creds_file.c_str(), nullptr);
  natsStatus s = NATS_ERR;
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while ((s = natsConnection_Connect(&client->nc_, opts)) != NATS_OK &&
         steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    ADD_FAILURE() << "NatsClient: cannot connect to " << urls << ": " << Err(s);
    return nullptr;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  natsConnection_JetStream(&client->js_, client->nc_, &jo);
  return client;
}

NatsClient::~NatsClient() {
  for (Held& h : held_) {
    for (natsMsg* m : h.messages) natsMsg_Destroy(m);
    natsSubscription_Destroy(h.sub);
  }
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool NatsClient::AddStream(const std::string& stream, const std::vector<std::string>& subjects,
                           int replicas) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream.c_str();
  std::vector<const char*> subs;
  for (const auto& s : subjects) subs.push_back(s.c_str());
  cfg.Subjects = subs.data();
  cfg.SubjectsLen = static_cast<int>(subs.size());
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  natsStatus s = NATS_ERR;
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto give_up = steady_clock::now() + std::chrono::seconds(15);
  do {
    jsStreamInfo* si = nullptr;
    s = js_AddStream(&si, js_, &cfg, nullptr, &code);
    if (si) jsStreamInfo_Destroy(si);
    if (s == NATS_OK) return true;
    std::this_thread::sleep_for(milliseconds(200));
  } while (steady_clock::now() < give_up);
  ADD_FAILURE() << "AddStream " << stream << ": " << Err(s) << " (code " << code << ")";
  return false;
}

bool NatsClient::AddPullConsumer(const std::string& stream, const std::string& durable,
                                 const std::string& filter, int replicas) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = int64_t{300} * 1'000'000'000;
  cc.MaxDeliver = 3;
  if (!filter.empty()) cc.FilterSubject = filter.c_str();
  cc.Replicas = replicas;
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, js_, stream.c_str(), &cc, nullptr, &code);
  if (ci) jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) ADD_FAILURE() << "AddConsumer " << durable << ": " << Err(s) << " (code " << code << ")";
  return s == NATS_OK;
}

bool NatsClient::Publish(const std::string& subject, int n) {
  for (int i = 0; i < n; ++i) {
    std::string body = "job " + std::to_string(i);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), body.data(), static_cast<int>(body.size()),
                              nullptr, &code);
    if (ack) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      ADD_FAILURE() << "Publish " << subject << ": " << Err(s);
      return false;
    }
  }
  return true;
}

natsSubscription* NatsClient::Subscription(const std::string& stream, const std::string& durable) {
  for (Held& h : held_) {
    if (h.durable == durable) return h.sub;
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = durable.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub, js_, nullptr, durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) {
    ADD_FAILURE() << "PullSubscribe " << durable << ": " << Err(s) << " (code " << code << ")";
    return nullptr;
  }
  held_.push_back({durable, sub, {}});
  return sub;
}

int NatsClient::Fetch(const std::string& stream, const std::string& durable, int n) {
  natsSubscription* sub = Subscription(stream, durable);
  if (sub == nullptr) return 0;
  int got = 0;
  const auto give_up = steady_clock::now() + std::chrono::seconds(5);
  while (got < n && steady_clock::now() < give_up) {
    natsMsgList list{};
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub, n - got, 500, &code);
    if (s == NATS_OK) {
      for (Held& h : held_) {
        if (h.durable != durable) continue;
        for (int i = 0; i < list.Count; ++i) {
          h.messages.push_back(list.Msgs[i]);
          list.Msgs[i] = nullptr;
        }
      }
      got += list.Count;
    }
    natsMsgList_Destroy(&list);
    if (s == NATS_TIMEOUT) break;
  }
  return got;
}

int NatsClient::Settle(const std::string& durable, int n, bool ack) {
  for (Held& h : held_) {
    if (h.durable != durable) continue;
    int done = 0;
    while (done < n && !h.messages.empty()) {
      natsMsg* m = h.messages.front();
      h.messages.erase(h.messages.begin());
      natsStatus s = ack ? natsMsg_AckSync(m, nullptr, nullptr) : natsMsg_Nak(m, nullptr);
      if (s != NATS_OK) ADD_FAILURE() << (ack ? "Ack: " : "Nak: ") << Err(s);
      natsMsg_Destroy(m);
      ++done;
    }
    if (!ack) natsConnection_Flush(nc_);
    return done;
  }
  return 0;
}

int NatsClient::Ack(const std::string& durable, int n) { return Settle(durable, n, true); }
int NatsClient::Nak(const std::string& durable, int n) { return Settle(durable, n, false); }

std::string NatsClient::StreamLeader(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &code);
  std::string leader;
  if (s == NATS_OK && si->Cluster != nullptr && si->Cluster->Leader != nullptr) {
    leader = si->Cluster->Leader;
  }
  if (si) jsStreamInfo_Destroy(si);
  return leader;
}

std::string NatsClient::ConsumerLeader(const std::string& stream, const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), nullptr, &code);
  std::string leader;
  if (s == NATS_OK && ci->Cluster != nullptr && ci->Cluster->Leader != nullptr) {
    leader = ci->Cluster->Leader;
  }
  if (ci) jsConsumerInfo_Destroy(ci);
  return leader;
}

int64_t NatsClient::Outstanding(const std::string& stream, const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = 500;
  natsStatus s = js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), &o, &code);
  int64_t n = s == NATS_OK ? static_cast<int64_t>(ci->NumPending + ci->NumAckPending) : -1;
  if (ci) jsConsumerInfo_Destroy(ci);
  return n;
}

}  // namespace poolscaler::testing
