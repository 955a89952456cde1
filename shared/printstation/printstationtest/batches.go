package printstationtest

// batchState and batchRoutes belong to the print flow (handlers/print): its
// endpoints replace this file.
type batchState struct{}

func (s *Server) batchRoutes() {}
