// Failure handling under mpirun: an error on any rank ends the whole job at once (MPI_Abort)
// with the error on stderr, instead of leaving the other ranks waiting in a collective.

import ArgumentParser
import Cluster

/// Runs `body`; on error, aborts every rank when there are several, else rethrows.
func runOnEveryRank(_ communicator: any Communicator, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CleanExit {
        throw error
    } catch {
        if communicator.size > 1 {
            communicator.abort(code: 1, message: "Error: \(error)")
        }
        throw error
    }
    (communicator as? MPICommunicator)?.finalize()
}
