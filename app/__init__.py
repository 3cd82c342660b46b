"""The application of Mineral Atlas: pages, CLI, workflows and the workspace store."""
