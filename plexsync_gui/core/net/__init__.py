"""HTTP shared by both clients: no redirects with secrets, deadlines, size caps, cancellation; failure phrases."""
