import Synchronization

/// Runs an operation against a deadline and returns when the first of the two ends, without waiting for
/// the operation to notice its cancellation: a peer that stalls cannot hold the caller past the deadline.
enum Deadline {
    static func run<T: Sendable>(within budget: Duration, orElse fallback: T,
                                 _ operation: @escaping @Sendable () async -> T) async -> T {
        guard budget > .zero else { return fallback }
        let first = FirstResult<T>()
        let work = Task { first.offer(await operation()) }
        let timer = Task {
            try? await Task.sleep(for: budget)
            first.offer(fallback)
        }
        let result = await withTaskCancellationHandler {
            await first.value()
        } onCancel: {
            first.offer(fallback)
        }
        work.cancel()
        timer.cancel()
        return result
    }
}

/// The first value offered wins; later offers are dropped.
private final class FirstResult<T: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<T, Never>)
        case done(T)
    }

    private let state = Mutex<State>(.empty)

    func offer(_ value: T) {
        let waiter: CheckedContinuation<T, Never>? = state.withLock { state in
            switch state {
            case .empty:
                state = .done(value)
                return nil
            case .waiting(let continuation):
                state = .done(value)
                return continuation
            case .done:
                return nil
            }
        }
        waiter?.resume(returning: value)
    }

    func value() async -> T {
        await withCheckedContinuation { continuation in
            let ready: T? = state.withLock { state in
                switch state {
                case .empty:
                    state = .waiting(continuation)
                    return nil
                case .done(let value):
                    return value
                case .waiting:
                    preconditionFailure("FirstResult awaited twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
