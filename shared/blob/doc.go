// Package blob is the archive and staging storage of the integration layer:
// one Store interface, with Azure for Azure Blob Storage and FS for a local
// directory that behaves the same way in local runs.
//
// EDI files are archived here, bulk exports are staged here, and blob
// triggers fire on what arrives. Both implementations pass one contract
// test suite, and promise:
//
//   - Put with IfNotExists writes a blob at most once. A second writer gets
//     ErrExists and the first bytes stay, so archiving is exactly-once when
//     the caller treats ErrExists as "already archived".
//   - A blob is never seen half-written. Azure uploads it in one request;
//     FS renames complete files into place, and its temporary files and
//     sidecars never appear in List or Get.
//   - Every write gives a new ETag, even of identical bytes. List returns
//     Name, Size, ETag and LastModified sorted by name (byte order) and is
//     cheap enough to poll for arrivals; ContentType and Metadata come from
//     Get. A missing container lists as empty.
//   - Get of a missing blob is ErrNotFound; Delete of one is not an error.
//   - Lock is a lease: one holder at a time, for 15 to 60 s, renewed by the
//     holder. A lock not renewed in time expires and can be taken by
//     someone else, whose lock makes the old holder's Renew fail with
//     ErrLockLost; Release is idempotent. A crashed holder's lock frees
//     itself at expiry. While a lock is live, Put and Delete of that blob
//     fail with ErrLocked for everyone, the holder included, so lock blobs
//     belong apart from data (own container or prefix). The lock blob is an
//     ordinary blob and shows in List.
//   - Container names follow Azure's rules and blob names one stricter set
//     of rules in both stores (see validateName), checked before any I/O:
//     a name accepted locally is accepted in Azure, and no name reaches
//     outside FS's root. Rejections wrap ErrInvalid.
//   - Metadata keys ignore case and come back in lower case.
//   - Every call honours ctx. Errors say what was being done and wrap the
//     sentinels (ErrNotFound, ErrExists, ErrLocked, ErrLockLost, ErrInvalid),
//     so test them with errors.Is.
//
// FS differs from Azure in one way: a name cannot be both a blob and a
// folder of other blobs ("a" and "a/b"); Put reports that as ErrInvalid.
package blob
