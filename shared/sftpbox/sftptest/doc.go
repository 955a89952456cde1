// Package sftptest serves SFTP for tests and local runs: an in-process
// SSH/SFTP server (golang.org/x/crypto/ssh and pkg/sftp's request server)
// over a real directory, which records what it was asked and can be told to
// fail (a connection dropped mid-download, a delete or a rename refused, a
// hook between listings), and a launcher for a real OpenSSH sshd on a free
// loopback port with a generated host key and a start directory of its own.
// Both check the client's credentials and present a host key the test
// pins. Never part of the production binary.
package sftptest
