// Package sftpbox is the SFTP mechanics the EDI flows share: connecting
// with a pinned host key, listing a folder, taking a file only once it has
// stopped changing, downloading it whole, uploading under a temporary name
// and renaming it into place, and deleting a file once its processing has
// committed. SPS Commerce and NAV's file drop are both reached through it.
//
// What it guarantees:
//
//   - The server's host key must match a pinned known_hosts line
//     ("[host]:10022 ssh-ed25519 AAAA..."). A server offering another key
//     is refused with an error wrapping ErrHostKeyMismatch; there is no
//     trust on first use and no way to turn the check off.
//   - Password or private-key authentication, from configuration.
//   - Download reads a file to its end and checks the byte count against
//     the size the server reported; a connection dropped midway is an
//     error (ErrConnection, transient), never a short file.
//   - Upload writes "<name>.part" first, checks its size, then renames it
//     to the final name (POSIX rename where the server offers it), so the
//     partner never sees a partial file. A failed rename removes the
//     temporary file when it can and reports the failure.
//   - Stable decides, from two looks at a folder, which files have kept
//     their size and modification time (the partner may still be writing
//     the others). The caller keeps the previous look durable between runs.
//   - Nothing is deleted by this package except on an explicit Remove.
//
// Errors are classified for the flows: connection, timeout and server
// failures are transient (shared/fault), a host-key mismatch or a refused
// login is ErrHostKeyMismatch / ErrAuth (also transient: the next run tries
// again, and the caller alerts people).
package sftpbox
