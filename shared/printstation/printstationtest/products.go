package printstationtest

// productState and productRoutes belong to the product flow
// (handlers/product): its endpoints replace this file.
type productState struct{}

func (s *Server) productRoutes() {}
