import './base.css';
import './ai.css';
