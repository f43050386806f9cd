// Writing a block blob in pieces: Put Block for each block (at most `concurrency` in flight,
// each on its own thread), then one Put Block List that makes the value visible at once. Blocks
// never committed are discarded by the service (after a week, or at the blob's next commit), so
// an abandoned upload leaves nothing visible.
#pragma once

#include <deque>
#include <future>
#include <string>
#include <vector>

#include "client.hpp"
#include "spi/bytes.hpp"

namespace kvps::azure {

// Base64 of the MD5 of data: what the service keeps as a blob's Content-MD5 (which is how a
// lost answer is settled) and checks a block against.
std::string md5_base64(const void *data, size_t size);

class BlockUpload {
public:
    BlockUpload(Client &client, std::string full_key);
    ~BlockUpload();  // waits for the blocks in flight
    BlockUpload(const BlockUpload &) = delete;
    BlockUpload &operator=(const BlockUpload &) = delete;

    // Queues the next block; blocks while `concurrency` are in flight. The borrowed form needs
    // data to stay valid until commit() or abort() returns. Throws the first failure.
    void add(Bytes data);
    void add_borrowed(const void *data, size_t size);
    // The buffer of a block already sent (empty, its capacity kept), for the next add(): a
    // writer cycles through the same concurrency + 1 buffers instead of allocating each block.
    Bytes take_spare() { return std::move(spare_); }

    // Waits for every block and sends Put Block List with extra headers (content type,
    // metadata, condition, x-ms-blob-content-md5). Returns the answer, whatever its status.
    HttpResponse commit(Pairs headers, Retry retry, bool *lost_answer);
    // Waits for the blocks in flight; never throws.
    void abort() noexcept;

private:
    void launch(const void *data, size_t size, Bytes owned);
    void put_block(const std::string &id, const void *data, size_t size);
    void wait_oldest();

    Client &client_;
    std::string key_;
    std::string id_stem_;  // random per upload, so concurrent writers' blocks never collide
    std::vector<std::string> ids_;
    std::deque<std::future<void>> in_flight_;
    std::deque<Bytes> owned_;  // the buffers of add()'s blocks in flight, beside in_flight_
    Bytes spare_;
};

}  // namespace kvps::azure
