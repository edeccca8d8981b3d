import Foundation
import GRDB

/// Runs concurrent writes in shared transactions (group commit): every write that arrives while a
/// transaction is being committed joins the next one, so a burst of submits costs one fsync, not one
/// each. Each write runs in its own savepoint, so one failing write does not undo the others, and
/// each caller resumes only after the transaction holding its write has committed.
actor GroupCommitter {
    private let writer: any DatabaseWriter
    private var queue: [Job] = []
    private var flushing = false
    private let maxBatch: Int

    init(writer: any DatabaseWriter, maxBatch: Int = 512) {
        self.writer = writer
        self.maxBatch = maxBatch
    }

    /// Runs `body` inside a shared write transaction and returns its result once durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let slot = ResultSlot<T>()
            queue.append(Job(
                run: { db in slot.value = try body(db) },
                finish: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else {
                        continuation.resume(returning: slot.value!)
                    }
                }
            ))
            if !flushing {
                flushing = true
                // Detached: the flush must not inherit the caller's task executor preference (an HTTP
                // handler's event loop), which measurably delays every commit behind request handling.
                Task.detached { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            let failures = FailureList(count: batch.count)
            do {
                try await writer.write { db in
                    for (index, job) in batch.enumerated() {
                        do {
                            try db.inSavepoint {
                                try job.run(db)
                                return .commit
                            }
                        } catch {
                            failures.errors[index] = error
                        }
                    }
                }
                for (index, job) in batch.enumerated() { job.finish(failures.errors[index]) }
            } catch {
                for job in batch { job.finish(error) }
            }
        }
        flushing = false
    }

    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }
}

/// Carries one write's result out of the transaction closure; written once, read after commit.
private final class ResultSlot<T>: @unchecked Sendable {
    var value: T?
}

/// Per-write errors of one batch; written inside the transaction, read after it.
private final class FailureList: @unchecked Sendable {
    var errors: [(any Error)?]
    init(count: Int) { errors = Array(repeating: nil, count: count) }
}
