/// A partition's projector held by reference, so folding mutates it in place (a struct in a
/// dictionary would be copied on write with its whole customer map). Only touched under the
/// runtime's partition lock.
final class PartitionSlot {
    var projector: PartitionProjector
    init(_ projector: PartitionProjector) { self.projector = projector }
}
